import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { socketClientIp } from '../channels/web/index.js';

const upgrade = (peer: string, forwarded?: string | string[]) =>
  ({ socket: { remoteAddress: peer }, headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded } }) as unknown as IncomingMessage;

describe("the widget socket's client IP follows TRUST_PROXY like express's req.ip", () => {
  it('without a trusted proxy: the TCP peer, whatever X-Forwarded-For claims', () => {
    expect(socketClientIp(upgrade('10.0.0.5', '203.0.113.9'), false)).toBe('10.0.0.5');
  });
  it('behind a trusted proxy: the first forwarded address, so shoppers do not share the proxy\'s limits', () => {
    expect(socketClientIp(upgrade('10.0.0.5', '203.0.113.9, 10.0.0.5'), true)).toBe('203.0.113.9');
    expect(socketClientIp(upgrade('10.0.0.5', ['198.51.100.7']), true)).toBe('198.51.100.7');
  });
  it('behind a trusted proxy without the header (or an empty one): the peer', () => {
    expect(socketClientIp(upgrade('10.0.0.5'), true)).toBe('10.0.0.5');
    expect(socketClientIp(upgrade('10.0.0.5', ' , 1.2.3.4'), true)).toBe('10.0.0.5');
  });
});
