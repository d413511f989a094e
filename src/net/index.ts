/** The network room's public surface. */
export { Network, type NetworkInit } from './network.ts'
export { memberPeerId } from './peer-ids.ts'
export { RECORDS_TOPIC, SYNC_PROTOCOL, NET_DEFAULTS } from './options.ts'
export { runSync, helloOf, type Hello, type SyncResult } from './sync-protocol.ts'
export type { PeerView } from './sync-scheduler.ts'
export { STATUS_PROTOCOL, type PeerStatusAnswer } from './status-protocol.ts'
export { TWIN_PROTOCOL, type TwinSighting, type TwinNotice } from './twin-check.ts'
