export * from "./constants.js";
export * from "./options.js";
export * from "./nlri.js";
export * from "./attributes.js";
export * from "./open.js";
export * from "./update.js";
export * from "./message.js";
export * from "./text.js";
