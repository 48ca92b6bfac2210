export * from "./constants.js";
export * from "./distinguisher.js";
export * from "./peer.js";
export * from "./stats.js";
export * from "./tlv.js";
export * from "./message.js";
export * from "./tracker.js";
