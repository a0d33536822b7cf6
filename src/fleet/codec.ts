// Port answers travel between replicas as JSON. Dates (every status timestamp) would come back as
// strings, so they are tagged on the way out and revived on the way in.
const DATE_TAG = '$date';

export function encode(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, current: unknown) {
    const original = this[key];
    return original instanceof Date ? { [DATE_TAG]: original.getTime() } : current;
  });
}

export function decode<T>(text: string): T {
  return JSON.parse(text, (_key, value: unknown) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const record = value as Record<string, unknown>;
      const time = record[DATE_TAG];
      if (typeof time === 'number' && Object.keys(record).length === 1) return new Date(time);
    }
    return value;
  }) as T;
}
