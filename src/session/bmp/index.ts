export { BmpCollector, type BmpCollectorOptions } from "./collector.js";
export type * from "./types.js";
export { viewRef, viewSource, viewPolicy, peerAddress } from "./views.js";
