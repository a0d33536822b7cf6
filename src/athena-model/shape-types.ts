/**
 * The kinds of shape in AWS's service model (the botocore JSON form of Smithy), as far as the
 * Athena operations the project uses need them.
 */

export interface MemberRef {
  readonly shape: string;
  readonly deprecated?: boolean;
}

export interface StringShape {
  readonly type: 'string';
  /** Lengths count Unicode code points (Smithy's @length on strings). */
  readonly min?: number;
  readonly max?: number;
  readonly pattern?: string;
  readonly enum?: readonly string[];
}

export interface NumberShape {
  readonly type: 'integer' | 'long';
  readonly min?: number;
  readonly max?: number;
}

export interface PlainShape {
  readonly type: 'boolean' | 'timestamp';
}

export interface StructureShape {
  readonly type: 'structure';
  readonly required: readonly string[];
  readonly members: Readonly<Record<string, MemberRef>>;
  readonly exception?: boolean;
  readonly fault?: boolean;
}

export interface ListShape {
  readonly type: 'list';
  readonly member: MemberRef;
  readonly min?: number;
  readonly max?: number;
}

export interface MapShape {
  readonly type: 'map';
  readonly key: MemberRef;
  readonly value: MemberRef;
}

export type Shape = StringShape | NumberShape | PlainShape | StructureShape | ListShape | MapShape;

export interface OperationModel {
  readonly input: string;
  readonly output: string;
  /** The error shapes the model declares for the operation. */
  readonly errors: readonly string[];
}
