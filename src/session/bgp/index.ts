/** The passive BGP speaker (see speaker.ts). */
export { BgpSpeaker, type BgpSpeakerDeps } from "./speaker.js";
export type { BgpMessageRecord, SpeakerHooks } from "./peer.js";
export { SESSION_STATES, type SessionInfo, type SessionState } from "./info.js";
