import http from 'node:http';

/** POSTs an OTLP protobuf body to `path` over a keep-alive agent, as an exporter does; resolves to the answer. */
export function postProtobuf(agent: http.Agent, url: URL, path: string, body: Uint8Array): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        method: 'POST',
        hostname: url.hostname,
        port: url.port,
        path,
        headers: { 'Content-Type': 'application/x-protobuf', 'Content-Length': body.byteLength },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
