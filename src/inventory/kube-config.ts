/**
 * Where the API server is and how to authenticate: `--kubeconfig FILE`, else $KUBECONFIG or
 * ~/.kube/config, else the pod's service account when running in a cluster.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";

export class KubeConfigError extends Error {
  override name = "KubeConfigError";
}

export interface KubeConfigOptions {
  /** --kubeconfig */
  file?: string;
  env?: NodeJS.ProcessEnv;
  home?: string;
}

export function loadKubeConfig(options: KubeConfigOptions = {}): KubeConfig {
  const env = options.env ?? process.env;
  const kc = new KubeConfig();
  const defaultFile = join(options.home ?? homedir(), ".kube", "config");
  try {
    if (options.file) kc.loadFromFile(options.file);
    else if (env.KUBECONFIG) {
      // Like kubectl: several files separated by ":", the first one's context wins.
      const [first, ...more] = env.KUBECONFIG.split(delimiter).filter((f) => f);
      kc.loadFromFile(first!);
      for (const f of more) {
        const other = new KubeConfig();
        other.loadFromFile(f);
        kc.mergeConfig(other, true);
      }
    } else if (existsSync(defaultFile)) kc.loadFromFile(defaultFile);
    else if (env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
    else {
      throw new KubeConfigError(
        "no Kubernetes configuration: pass --kubeconfig FILE, set KUBECONFIG, create ~/.kube/config, or run in a cluster",
      );
    }
  } catch (e) {
    if (e instanceof KubeConfigError) throw e;
    const source = options.file ?? env.KUBECONFIG ?? defaultFile;
    throw new KubeConfigError(`cannot load the kubeconfig ${source}: ${(e as Error).message}`);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster)
    throw new KubeConfigError(`kubeconfig: the current context "${kc.getCurrentContext()}" names no cluster`);
  // The client refuses plain HTTP unless TLS checks are explicitly off; say so now, not on every retry.
  if (cluster.server.startsWith("http:") && !cluster.skipTLSVerify) {
    throw new KubeConfigError(
      `kubeconfig: cluster "${cluster.name}" uses plain HTTP (${cluster.server}): the client needs insecure-skip-tls-verify: true for that`,
    );
  }
  return kc;
}
