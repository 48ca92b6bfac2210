/** TCP listeners on every configured BGP endpoint. */
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { formatEndpoint, type Endpoint } from "../../core/config.js";

/** Listens on each endpoint; rejects naming the endpoint that could not be bound. */
export async function listenAll(
  endpoints: readonly Endpoint[],
  onConnection: (s: Socket) => void,
  onError: (e: Error) => void,
): Promise<Server[]> {
  const servers: Server[] = [];
  try {
    for (const e of endpoints) servers.push(await listenOne(e, onConnection, onError));
  } catch (err) {
    await closeAll(servers);
    throw err;
  }
  return servers;
}

function listenOne(
  e: Endpoint,
  onConnection: (s: Socket) => void,
  onError: (e: Error) => void,
): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer({ noDelay: true }, onConnection);
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(new Error(`BGP: cannot listen on ${formatEndpoint(e)}: ${err.code ?? err.message}`)),
    );
    server.listen({ host: e.host, port: e.port, ipv6Only: false }, () => {
      server.removeAllListeners("error");
      server.on("error", onError);
      resolve(server);
    });
  });
}

/** Where each server actually listens (the real port when 0 was asked for). */
export function boundEndpoints(servers: readonly Server[]): Endpoint[] {
  return servers.flatMap((s) => {
    const a = s.address() as AddressInfo | null;
    return a ? [{ host: a.address, port: a.port }] : [];
  });
}

export function closeAll(servers: readonly Server[]): Promise<void> {
  return Promise.all(
    servers.map((s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve()))),
  ).then(() => undefined);
}
