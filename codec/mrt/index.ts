export * from "./constants.js";
export * from "./reader.js";
export * from "./writer.js";
export * from "./bgp4mp.js";
export * from "./table-dump-v2.js";
export * from "./table-dump.js";
export * from "./decode.js";
