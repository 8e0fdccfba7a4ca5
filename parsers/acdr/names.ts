/**
 * ACDR enumerations: trace points (acdr.trace_pt) and media types (acdr.media_type).
 * `name` is the identifier used in Wireshark's source (compact, stable, good for keys and filters);
 * `text` is what tshark prints, so a user can match our UI against Wireshark.
 */

export interface AcdrEnumEntry {
  readonly name: string;
  readonly text: string;
}

const UNKNOWN: AcdrEnumEntry = { name: 'Unknown', text: 'Unknown' };

/** Index = trace point value 0..35. */
export const ACDR_TRACE_POINTS: readonly AcdrEnumEntry[] = [
  { name: 'Net2Dsp', text: 'Network -> Dsp' },
  { name: 'Dsp2Net', text: 'Dsp -> Network' },
  { name: 'Dsp2Host', text: 'Dsp -> Host' },
  { name: 'Host2Dsp', text: 'Host -> Dsp' },
  { name: 'Net2Host', text: 'Network -> Host' },
  { name: 'Host2Net', text: 'Host -> Network' },
  { name: 'System', text: 'System' },
  { name: 'Dsp2Dsp', text: 'Dsp -> Dsp (Media Loopback)' },
  { name: 'Net2Net', text: 'Network -> Network (Mediation)' },
  { name: 'Dsp2Tdm', text: 'Dsp -> Tdm' },
  { name: 'Tdm2Dsp', text: 'Tdm -> Dsp' },
  { name: 'Np2Dsp', text: 'Network Processor(C5) -> Dsp' },
  { name: 'Dsp2Np', text: 'Dsp -> Network Processor(C5)' },
  { name: 'Host2Np', text: 'Host -> Network Processor(C5)' },
  { name: 'Np2Host', text: 'Network Processor(C5) -> Host' },
  { name: 'acUnknown', text: 'Unknown' },
  { name: 'Net', text: 'Network Only' },
  { name: 'P2P', text: 'Dsp -> Dsp (P2P)' },
  { name: 'DspDecoder', text: 'Host -> DSP (before DSP Decoder)' },
  { name: 'DspEncoder', text: 'Dsp -> Host (before DSP Encoder)' },
  { name: 'VoipDecoder', text: 'Media Network Incoming (before Voip Decoder)' },
  { name: 'VoipEncoder', text: 'Media Voip Outgoing (before Voip Encoder)' },
  { name: 'NetEncoder', text: 'Media Network Outgoing (before Net Encoder)' },
  { name: 'P2PDecoder', text: 'Dsp Internal <- DSP (after Native Decoder)' },
  { name: 'P2PEncoder', text: 'Dsp Internal -> DSP (before Native Encoder)' },
  { name: 'Host2Pstn', text: 'Host -> Pstn' },
  { name: 'Pstn2Host', text: 'Pstn -> Host' },
  { name: 'Net2DspPing', text: 'Srtp Ping: Network -> Dsp' },
  { name: 'Dsp2NetPing', text: 'Srtp Ping: Dsp -> Network' },
  { name: 'Src2Dest', text: 'Src -> Dst' },
  { name: 'Addr2Addr', text: 'Addr -> Addr' },
  { name: 'GeneralSystem', text: 'General System' },
  { name: 'AllMedia', text: 'All Media' },
  { name: 'DspIncoming', text: 'Dsp Internal <- Host (DSP Incoming)' },
  { name: 'DspOutgoing', text: 'Dsp Internal -> Host (DSP Outgoing)' },
  { name: 'AfterSrtpDecoder', text: 'Media Network Incoming (After Srtp Decoder)' },
];

/** tshark has no text for the reserved slots and prints Unknown, as for any value past the table. */
const RESERVED: AcdrEnumEntry = { name: 'Reserved', text: 'Unknown' };

/** Index = media type value 0..61. */
export const ACDR_MEDIA_TYPES: readonly AcdrEnumEntry[] = [
  { name: 'DSP_AC49X', text: 'DSP 49x Packet' },
  { name: 'RTP', text: 'RTP Packet' },
  { name: 'RTCP', text: 'RTCP Packet' },
  { name: 'T38', text: 'T38 Packet' },
  { name: 'Event', text: 'HostEvent' },
  { name: 'Info', text: 'System Info' },
  { name: 'VoiceAI', text: 'Voice AI Packet' },
  { name: 'NotUse1', text: 'Not Use 1' },
  { name: 'NotUse2', text: 'Not Use 2' },
  { name: 'NotUse3', text: 'Not Use 3' },
  { name: 'SIP', text: 'SIP Packet' },
  { name: 'MEGACO', text: 'Megaco Packet' },
  { name: 'MGCP', text: 'MGCP Packet' },
  { name: 'TPNCP', text: 'TPNCP Packet' },
  { name: 'Control', text: 'Control Packet' },
  { name: 'PCM', text: 'PCM' },
  { name: 'NP_CONTROL', text: 'C5 Control packet' },
  { name: 'NP_DATA', text: 'C5 Data packet' },
  { name: 'DSP_AC48X', text: 'DSP 48x Packet' },
  { name: 'DSP_AC45X', text: 'DSP 64x Packet' },
  RESERVED,
  RESERVED,
  RESERVED,
  { name: 'HA', text: 'HA trace' },
  { name: 'CAS', text: 'CAS' },
  { name: 'NET_BRICKS', text: 'Net Bricks trace' },
  { name: 'COMMAND', text: 'TPNCP Command' },
  { name: 'VIDEORTP', text: 'Video RTP' },
  { name: 'VIDEORTCP', text: 'Video RTCP' },
  { name: 'PCIIF_COMMAND', text: 'PCIIF Command' },
  { name: 'GWAPPSYSLOG', text: 'GWApp syslog' },
  { name: 'V1501', text: 'V150.1 - Data relay' },
  { name: 'DSP_AC5X', text: 'DSP 5x Packet' },
  { name: 'TLS', text: 'TLS Data' },
  { name: 'TLSPeek', text: 'TLS Peek Date' },
  { name: 'DSP_AC5X_MII', text: 'DSP 5x MII Packet' },
  { name: 'NATIVE', text: 'P2P - NATIVE' },
  { name: 'SIGNALING', text: 'Signaling' },
  { name: 'FRAGMENTED', text: 'Fragmented' },
  RESERVED,
  RESERVED,
  RESERVED,
  { name: 'QOE_CDR', text: 'QOE CDR' },
  { name: 'QOE_MDR', text: 'QOE MDR' },
  { name: 'QOE_EVENT', text: 'QOE Event' },
  RESERVED,
  RESERVED,
  { name: 'DSP_TDM_PLAYBACK', text: 'DSP Tdm Playback' },
  { name: 'DSP_NET_PLAYBACK', text: 'DSP Net Playback' },
  { name: 'DSP_DATA_RELAY', text: 'DSP Data Relay' },
  { name: 'DSP_SNIFFER', text: 'DSP Sniffer' },
  { name: 'RTP_AMR', text: 'RTP AMR' },
  { name: 'RTP_EVRC', text: 'RTP EVRC' },
  { name: 'RTP_RFC2198', text: 'RTP Rfc2198' },
  { name: 'RTP_RFC2833', text: 'RTP Rfc2833' },
  { name: 'T38_OVER_RTP', text: 'T38 over RTP' },
  { name: 'RTP_FEC', text: 'RTP FEC' },
  { name: 'RTP_FAX_BYPASS', text: 'RTP Fax Bypass' },
  { name: 'RTP_MODEM_BYPASS', text: 'RTP Modem Bypass' },
  { name: 'RTP_NSE', text: 'RTP NSE' },
  { name: 'RTP_NO_OP', text: 'RTP NoOp' },
  { name: 'DTLS', text: 'DTLS Data' },
];

export const ACDR_MAX_TRACE_POINT = ACDR_TRACE_POINTS.length - 1;
export const ACDR_MAX_MEDIA_TYPE = ACDR_MEDIA_TYPES.length - 1;

export function acdrTracePoint(value: number): AcdrEnumEntry {
  return ACDR_TRACE_POINTS[value] ?? UNKNOWN;
}

export function acdrMediaType(value: number): AcdrEnumEntry {
  return ACDR_MEDIA_TYPES[value] ?? UNKNOWN;
}

/** Values of the TLS extension's application byte (acdr.ext.application). */
export const ACDR_TLS_APPLICATIONS: readonly string[] = ['UNKNWN', 'HTTP', 'TR069', 'SIP', 'LDAP', 'XML', 'TCP', 'TELNET', 'FTP', 'TPNCP'];
