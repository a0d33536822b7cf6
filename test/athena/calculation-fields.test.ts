// The calculations' field table on its own terms: what each answer tells of a calculation, every
// field it carries present as a key (so that a field it answers as undefined is not fetched
// again), and nothing it does not carry. Derived from the table, so a new row needs no change here.
import { describe, expect, it } from 'vitest';
import {
  CALCULATION_DETAIL_CALL_FIELDS,
  CALCULATION_FIELD_SOURCES,
  CALCULATION_SCHEMA_FIELDS,
  detailFieldsOf,
  listRowFieldsOf,
  statusFieldsOf,
} from '../../src/athena/calculation-fields.js';
import type { Calculation } from '../../src/athena/port.js';

const status = { state: 'COMPLETED' as const };
const fieldsWhere = (property: 'listRow' | 'statusCall') =>
  Object.entries(CALCULATION_FIELD_SOURCES)
    .filter(([, source]) => source[property])
    .map(([field]) => field)
    .sort();

describe('the calculation field table', () => {
  it('a schema field needs GetCalculationExecution exactly when the status call does not answer it', () => {
    for (const [schemaField, field] of CALCULATION_SCHEMA_FIELDS) {
      expect(CALCULATION_DETAIL_CALL_FIELDS.has(schemaField)).toBe(!CALCULATION_FIELD_SOURCES[field].statusCall);
    }
    // As the README's call budget says: status and statistics alone are one GetCalculationExecutionStatus.
    expect(CALCULATION_DETAIL_CALL_FIELDS.has('status')).toBe(false);
    expect(CALCULATION_DETAIL_CALL_FIELDS.has('statistics')).toBe(false);
  });

  it('a status call tells the fields the table gives it, and no other', () => {
    const calculation: Calculation = {
      calculationExecutionId: 'c',
      sessionId: 's',
      description: 'd',
      workingDirectory: 'w',
      status,
      statistics: { dpuExecutionInMillis: 5 },
      result: { resultS3Uri: 's3://r' },
    };
    const fields = statusFieldsOf(calculation);
    expect(Object.keys(fields).sort()).toEqual(fieldsWhere('statusCall'));
    for (const [field, value] of Object.entries(fields)) expect(value).toBe(calculation[field as keyof Calculation]);
  });

  it('a list row tells the fields the table gives it, the session it was listed for among them', () => {
    const fields = listRowFieldsOf({ calculationExecutionId: 'c', status }, 's');
    expect(Object.keys(fields).sort()).toEqual(fieldsWhere('listRow'));
    expect(fields).toMatchObject({ calculationExecutionId: 'c', sessionId: 's', status });
  });

  it('the detail call tells every field, as a key even when Athena left it out', () => {
    expect(Object.keys(detailFieldsOf({ calculationExecutionId: 'c', status })).sort()).toEqual(
      Object.keys(CALCULATION_FIELD_SOURCES).sort(),
    );
  });
});
