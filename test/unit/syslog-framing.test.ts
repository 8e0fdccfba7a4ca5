import { describe, expect, it } from 'vitest';
import { MAX_SYSLOG_FRAME_BYTES, SyslogFramer } from '../../parsers/syslog-framing.js';

const b = (s: string) => Buffer.from(s);
const texts = (frames: Buffer[]) => frames.map((f) => f.toString());

describe('RFC 6587 framing', () => {
  it('splits octet-counted frames, including several in one chunk', () => {
    const f = new SyslogFramer();
    const { frames, error } = f.push(b('11 <14>hello x8 <14>bye\n'));
    expect(error).toBeNull();
    expect(texts(frames)).toEqual(['<14>hello x', '<14>bye\n']);
  });

  it('joins an octet-counted frame split across chunks, even inside the count', () => {
    const f = new SyslogFramer();
    expect(f.push(b('1')).frames).toEqual([]);
    expect(f.push(b('5 <14>hel')).frames).toEqual([]);
    expect(texts(f.push(b('lo world\n')).frames)).toEqual(['<14>hello world']);
    expect(texts(f.push(b('<14>next\n')).frames)).toEqual(['<14>next']);
  });

  it('splits LF- and NUL-terminated frames and skips blank lines', () => {
    const f = new SyslogFramer();
    expect(texts(f.push(b('<14>a\n\n<14>b\0<14>c\r\n<14>par')).frames)).toEqual(['<14>a', '<14>b', '<14>c\r']);
    expect(texts(f.push(b('tial\n')).frames)).toEqual(['<14>partial']);
  });

  it('hands over an unterminated last frame at connection end', () => {
    const f = new SyslogFramer();
    f.push(b('<14>last words'));
    expect(f.end()?.toString()).toBe('<14>last words');
    expect(f.end()).toBeNull();
  });

  it('mixes both framings on one connection', () => {
    const f = new SyslogFramer();
    expect(texts(f.push(b('<14>lf\n5 <14>x<14>lf2\n')).frames)).toEqual(['<14>lf', '<14>x', '<14>lf2']);
  });

  it('refuses a count that is not a number, or too large', () => {
    expect(new SyslogFramer().push(b('12x <14>a')).error?.message).toMatch(/octet count is not a number/);
    expect(new SyslogFramer().push(b(`${MAX_SYSLOG_FRAME_BYTES + 1} <14>a`)).error?.message).toMatch(/exceeds/);
    expect(new SyslogFramer().push(b('123456789012 ')).error?.message).toMatch(/not a number/);
  });

  it('refuses an endless line instead of buffering without bound', () => {
    const f = new SyslogFramer();
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let error = null;
    for (let i = 0; i < 5 && !error; i++) error = f.push(chunk).error;
    expect(error?.message).toMatch(/no line end within/);
  });
});
