import * as net from 'node:net';

/**
 * A raw loopback TCP connection for hand-written HTTP/2 bytes: errors ignored, whatever the server
 * sends read and dropped, `closed` resolving once the connection is gone.
 */
export function rawConnection(port: number): { socket: net.Socket; closed: Promise<void> } {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.resume();
  const closed = new Promise<void>((resolve) => socket.on('close', () => { resolve(); }));
  return { socket, closed };
}
