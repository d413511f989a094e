export { authorRecord, canonicalBytes, decodeRecord, MAX_RECORD_BYTES, SigningKey } from '../../src/records/index.ts'
export { signingPayload as signingPayloadForTest } from '../../src/records/codec.ts'
