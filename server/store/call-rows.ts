/** The calls table's columns as both backends name them, for writing stored call rows as they are. */
export const CALL_ROW_COLUMNS = ['id', 'version', 'device_id', 'sip_call_id', 'recording_session', 'local_id', 'remote_id', 'start_ms', 'end_ms',
  'duration_ms', 'active', 'codec', 'sources', 'worst_mos', 'avg_mos', 'max_loss_pct', 'max_jitter_ms', 'verdict', 'verdict_reason', 'import_id', 'clock_skew_ms'] as const;

export type CallRowColumn = (typeof CALL_ROW_COLUMNS)[number];

/** One call in CALL_ROW_COLUMNS order; `version` is ClickHouse's row version, which SQLite does not keep. */
export type CallRow = readonly (string | number | null)[];
