import { describe, expect, it } from 'vitest';
import { isDecodeError } from '../../parsers/decode-error.js';
import { classifyModule, PHONE_MODULES } from '../../parsers/phone-module.js';
import { decodeSyslog } from '../../parsers/syslog.js';
import { extractDeviceFacts, normaliseMac } from '../../parsers/device-facts.js';

describe('phone module classification', () => {
  it.each([
    ['nxphone', 'main screen', 'nxphone'],
    ['voip_task', 'starting', 'voip_task'],
    ['control_center', 'dhcp renew', 'control_center'],
    ['b2goe', 'usb attach', 'b2goe'],
    ['lighttpd', 'GET /', 'lighttpd'],
    ['ac_watchdog', 'ping', 'ac_watchdog'],
    ['kernel', 'eth0 link up', 'kernel'],
    ['wpa_supplicant', 'EAP success', 'ieee802_1x'],
    ['dsp', 'channel open', 'dsp'],
    ['lib', 'x', 'lib'],
    ['cgi', 'x', 'cgi'],
    ['mainform.cgi', 'x', 'cgi'],
    ['lcd_display', 'x', 'lcd_display'],
    ['web_server', 'x', 'web_server'],
    ['sipe', 'x', 'sipe'],
    ['ice_stack', 'x', 'ice_stack'],
    ['sip_stack', 'x', 'sip_stack'],
    ['sip_call_control', 'x', 'sip_call_control'],
  ])('maps the %s tag to %s… module', (tag, text, module) => {
    expect(classifyModule(tag, text)).toBe(module);
  });

  it('refines voip_task lines by what they say', () => {
    expect(classifyModule('voip_task', 'MTF: call 3 state CONNECTED')).toBe('sip_call_control');
    expect(classifyModule('voip_task', 'INVITE sip:4402@contoso.com SIP/2.0')).toBe('sip_stack');
    expect(classifyModule('voip_task', 'SIP/2.0 200 OK')).toBe('sip_stack');
    expect(classifyModule('voip_task', 'ICE: candidate pair succeeded')).toBe('ice_stack');
    expect(classifyModule('voip_task', 'DSP channel 0 opened')).toBe('dsp');
    expect(classifyModule('voip_task', 'SIPE: presence published')).toBe('sipe');
  });

  it('classifies untagged lines by content, else as other', () => {
    expect(classifyModule(null, 'EAPOL start sent')).toBe('ieee802_1x');
    expect(classifyModule(null, 'hello')).toBe('other');
    expect(classifyModule('unknownd', 'hello')).toBe('other');
  });

  it('puts lines from other devices under other, whatever their words say', () => {
    expect(classifyModule('lgr_psbrdif', 'DSP resource 4 allocated')).toBe('other');
    expect(classifyModule('sshd', 'STUN and ICE over DSP')).toBe('other');
    expect(classifyModule(null, '[S=5] [SID=1a2b3c:1:2] ICE lite offer')).toBe('other');
    expect(classifyModule(null, '  [S = 6] DSP busy')).toBe('other');
    expect(classifyModule('voip_task', '[S=872] [BID=3aad56:32] DSP channel 1 opened')).toBe('dsp');
    const mediant = decodeSyslog(new TextEncoder().encode('<133>  [S=4711] [SID=9c2d11:12:3456] ( lgr_sbc)( 4710) DSP channel 7 released'), { referenceMs: 0 });
    if (isDecodeError(mediant)) throw new Error(mediant.message);
    expect(mediant.map((m) => classifyModule(m.app, m.message))).toEqual(['other']);
  });

  it('knows the 17 modules of the phone plus other', () => {
    expect(PHONE_MODULES).toHaveLength(18);
  });
});

describe('device facts in log text', () => {
  it('finds MAC, model and firmware', () => {
    expect(extractDeviceFacts('Booting 450HD, SW version UC_3.1.0.296, MAC 00:90:8F:AB:CD:EF')).toEqual({
      mac: '00:90:8f:ab:cd:ef', model: '450HD', firmware: 'UC_3.1.0.296',
    });
    expect(extractDeviceFacts('User-Agent: AUDC-IPPhone-445HD_UC_3.2.1.10/1.0')).toMatchObject({ model: '445HD', firmware: 'UC_3.2.1.10' });
    expect(extractDeviceFacts('firmware version 3.4.6.584 loaded')).toEqual({ firmware: '3.4.6.584' });
    expect(extractDeviceFacts('mac=00908f123456')).toEqual({ mac: '00:90:8f:12:34:56' });
  });

  it('does not take an IP address for a firmware version, nor a foreign MAC for ours', () => {
    expect(extractDeviceFacts('registered to 10.13.4.12 from 00:11:22:33:44:55')).toBeNull();
  });

  it('normalises MAC spellings', () => {
    expect(normaliseMac('00-90-8F-1A-2B-3C')).toBe('00:90:8f:1a:2b:3c');
  });
});
