/**
 * Starts a node server on a port (0: any free one) and gives back where it listens, as a URL
 * origin (`https://127.0.0.1:40123`; IPv6 hosts in brackets). A failure to bind rejects.
 */
import type { AddressInfo, Server } from 'node:net';

export async function listenOn(server: Server, port: number, host: string, scheme = 'https'): Promise<{ port: number; origin: string }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { port: address.port, origin: `${scheme}://${shown}:${address.port}` };
}
