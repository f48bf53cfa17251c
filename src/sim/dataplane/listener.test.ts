import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { runProbe } from '../kubelet/prober.js';
import { TcpListener } from './listener.js';

const HOST = '127.31.0.9';

/** Connects and waits for a greeting: 'answered', 'refused', or 'silent' after `ms`. */
function knock(port: number, ms = 300): Promise<'answered' | 'refused' | 'silent'> {
  return new Promise((resolve) => {
    const s = net.connect(port, HOST);
    const done = (r: 'answered' | 'refused' | 'silent') => {
      s.destroy();
      resolve(r);
    };
    s.once('data', () => done('answered'));
    s.once('error', () => done('refused'));
    setTimeout(() => done('silent'), ms);
  });
}

describe('a data-plane listener', () => {
  it('answers up, refuses down, holds connections silent and hands them over when up again', async () => {
    const greet = (s: net.Socket) => s.write('hello');
    // A fixed port, so that it is the same after down (port 0 would pick another).
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, HOST, () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const listener = new TcpListener(HOST, port, greet);
    await listener.listen();
    try {
      expect(await knock(port)).toBe('answered');
      await listener.setReachability('down');
      expect(await knock(port)).toBe('refused');
      await listener.setReachability('silent');
      const held = knock(port, 1500);
      expect(await knock(port)).toBe('silent');
      await listener.setReachability('up');
      expect(await held).toBe('answered');
    } finally {
      await listener.close();
    }
  });

  it('refuses to bind outside 127.0.0.0/8', () => {
    expect(() => new TcpListener('10.0.0.1', 80, () => {})).toThrow(/127.0.0.0\/8 only/);
  });

  it('is what tcpSocket probes connect to; probes never dial outside 127.0.0.0/8', async () => {
    const listener = new TcpListener(HOST, 0, (s) => s.end());
    await listener.listen();
    const server = (listener as unknown as { server: net.Server }).server;
    const port = (server.address() as net.AddressInfo).port;
    const containers = [{ name: 'c', ports: [{ name: 'svc', containerPort: port }] }];
    expect(await runProbe({ tcpSocket: { port: 'svc' } }, HOST, containers)).toMatchObject({ success: true });
    await listener.close();
    expect((await runProbe({ tcpSocket: { port } }, HOST, containers)).success).toBe(false);
    expect(await runProbe({ httpGet: { port: 80, host: '10.1.2.3' } }, HOST, containers)).toEqual({
      success: false,
      message: '10.1.2.3 is outside 127.0.0.0/8 and is not dialled',
    });
  });
});
