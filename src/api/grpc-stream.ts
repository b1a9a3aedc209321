/**
 * Tempo's `tempopb.StreamingQuerier` as both sides of the query port see it: the main
 * thread (grpc-front.ts) takes the calls, a query thread (grpc-routes.ts) answers them. A
 * call's answer crosses the threads as one byte stream of frames: gRPC's own message
 * framing (flag 0, 4-byte big-endian length, the message), then one status frame (flag
 * 0x80, the status as JSON), the last thing in the stream.
 */

export const STREAMING_QUERIER = 'tempopb.StreamingQuerier';

export const STREAMING_METHODS = [
  'Search',
  'SearchTags',
  'SearchTagsV2',
  'SearchTagValues',
  'SearchTagValuesV2',
  'MetricsQueryRange',
  'MetricsQueryInstant',
] as const;

export type StreamingMethod = (typeof STREAMING_METHODS)[number];

/** gRPC status codes used here (google.rpc.Code). */
export const GRPC_CODE = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** The gRPC code for an HTTP API answer's status, as Tempo's frontend maps its pipeline's answers. */
export function grpcCode(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
      return GRPC_CODE.INVALID_ARGUMENT;
    case 401:
      return GRPC_CODE.UNAUTHENTICATED;
    case 404:
      return GRPC_CODE.NOT_FOUND;
    case 413:
    case 429:
      return GRPC_CODE.RESOURCE_EXHAUSTED;
    case 499:
      return GRPC_CODE.CANCELLED;
    case 503:
      return GRPC_CODE.UNAVAILABLE;
    default:
      return httpStatus >= 500 ? GRPC_CODE.INTERNAL : GRPC_CODE.UNKNOWN;
  }
}

const STATUS_FLAG = 0x80;

export interface CallStatus {
  readonly code: number;
  readonly details: string;
}

export type Frame = { readonly message: Uint8Array } | { readonly status: CallStatus };

function frame(flag: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  out[0] = flag;
  new DataView(out.buffer).setUint32(1, payload.length);
  out.set(payload, 5);
  return out;
}

export function messageFrame(message: Uint8Array): Uint8Array {
  return frame(0, message);
}

export function statusFrame(status: CallStatus): Uint8Array {
  return frame(STATUS_FLAG, new TextEncoder().encode(JSON.stringify(status)));
}

/** Splits a stream of frames, arriving in chunks of any size, into frames. */
export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Uint8Array): Frame[] {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let buf = this.buffered.length === 0 ? bytes : Buffer.concat([this.buffered, bytes]);
    const frames: Frame[] = [];
    while (buf.length >= 5) {
      const size = buf.readUInt32BE(1);
      if (buf.length < 5 + size) break;
      const payload = buf.subarray(5, 5 + size);
      if (buf[0] === STATUS_FLAG) frames.push({ status: JSON.parse(payload.toString('utf8')) as CallStatus });
      else frames.push({ message: payload });
      buf = buf.subarray(5 + size);
    }
    this.buffered = buf;
    return frames;
  }
}
