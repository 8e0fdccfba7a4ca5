/**
 * Device facts a phone mentions in its own logs (boot banner, provisioning, SIP User-Agent):
 * MAC, model and firmware. Cheap gates run first so the 100k-lines/s path pays almost nothing.
 */
export interface DeviceFacts {
  mac?: string;
  model?: string;
  firmware?: string;
}

const GATE = /90[:-]?8f|\dHD\b|version|firmware|_\d+\.\d/i;
const MAC = /\b(00[:-]?90[:-]?8[Ff](?:[:-]?[0-9A-Fa-f]{2}){3})\b/;
const MODEL = /(?<![A-Za-z0-9])(4[0-5][05]HD|C4[45]0HD)(?![A-Za-z0-9])/;
/** `UC_3.1.0.296`, `TEAMS_1.19.201`, or a dotted number right after "version"/"firmware". */
const FIRMWARE = /(?<![A-Za-z0-9])((?:UC|TEAMS|LYNC|SIP)_\d+(?:\.\d+){2,3})(?![\d.])|\b(?:version|firmware|SWVERSION)\s*[:=]?\s*v?(\d+(?:\.\d+){2,4})\b/i;

export function extractDeviceFacts(text: string): DeviceFacts | null {
  if (!GATE.test(text)) return null;
  const facts: DeviceFacts = {};
  const mac = MAC.exec(text);
  if (mac) facts.mac = normaliseMac(mac[1]!);
  const model = MODEL.exec(text);
  if (model) facts.model = model[1]!;
  const fw = FIRMWARE.exec(text);
  if (fw) facts.firmware = (fw[1] ?? fw[2])!;
  return facts.mac || facts.model || facts.firmware ? facts : null;
}

/** `00908F1A2B3C` / `00-90-8f-1a-2b-3c` → `00:90:8f:1a:2b:3c`. */
export function normaliseMac(mac: string): string {
  const hex = mac.replace(/[^0-9A-Fa-f]/g, '').toLowerCase();
  return hex.match(/../g)!.join(':');
}
