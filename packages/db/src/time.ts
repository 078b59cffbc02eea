/** Timestamps as stored: UTC `YYYY-MM-DD HH:MM:SS.mmm`, identical on both engines and ordered as text. */
export function toTimestamp(date: Date): string {
  return date.toISOString().replace('T', ' ').slice(0, 23);
}

/** Dates as stored: `YYYY-MM-DD`. */
export function toDateOnly(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function fromTimestamp(value: string): Date {
  return new Date(`${value.replace(' ', 'T')}Z`);
}
