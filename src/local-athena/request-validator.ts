import { invalidRequest } from './athena-error.js';

/**
 * Checks the members of one AWS JSON request and collects every violation, so that one
 * InvalidRequestException lists them all the way AWS (Coral) does:
 * "2 validation errors detected: Value '0' at 'maxResults' failed to satisfy constraint: ...; Value ...".
 *
 * Member paths are camelCase like AWS's messages ('maxResults', 'engineConfiguration.maxConcurrentDpus').
 * Unknown members are ignored, as AWS ignores them.
 */

export interface StringRules {
  required?: boolean;
  minLength?: number;
  maxLength?: number;
  /** Source of a regular expression that the whole value must match, quoted verbatim in the message. */
  pattern?: string;
}

export interface IntegerRules {
  required?: boolean;
  min?: number;
  max?: number;
}

export interface StringMapRules {
  required?: boolean;
  keyMinLength?: number;
  keyMaxLength?: number;
  valueMaxLength?: number;
}

export interface ListRules {
  required?: boolean;
  maxItems?: number;
}

type JsonObject = Record<string, unknown>;

/** Longest value quoted in a message; AWS echoes values, but a 68 kB code block helps nobody. */
const MAX_QUOTED_VALUE_LENGTH = 256;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function lowerFirst(name: string): string {
  return name.length === 0 ? name : name.charAt(0).toLowerCase() + name.slice(1);
}

function quote(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  let text: string;
  if (typeof value === 'string') text = value;
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  if (text.length > MAX_QUOTED_VALUE_LENGTH) text = `${text.slice(0, MAX_QUOTED_VALUE_LENGTH)}...`;
  return `'${text}'`;
}

const compiledPatterns = new Map<string, RegExp>();
function wholeStringPattern(source: string): RegExp {
  let compiled = compiledPatterns.get(source);
  if (!compiled) {
    compiled = new RegExp(`^(?:${source})$`, 'u');
    compiledPatterns.set(source, compiled);
  }
  return compiled;
}

export class RequestValidator {
  private readonly input: JsonObject;
  private readonly pathPrefix: string;
  private readonly problems: string[];

  constructor(input: JsonObject, pathPrefix = '', problems: string[] = []) {
    this.input = input;
    this.pathPrefix = pathPrefix;
    this.problems = problems;
  }

  private pathOf(member: string): string {
    return `${this.pathPrefix}${lowerFirst(member)}`;
  }

  private fail(member: string, value: unknown, constraint: string): undefined {
    this.problems.push(
      `Value ${quote(value)} at '${this.pathOf(member)}' failed to satisfy constraint: ${constraint}`,
    );
    return undefined;
  }

  /** Returns the raw value, or undefined (recording a problem) when it is absent but required. */
  private present(member: string, required: boolean | undefined): unknown {
    const value = this.input[member];
    if (value === undefined || value === null) {
      if (required) this.fail(member, null, 'Member must not be null');
      return undefined;
    }
    return value;
  }

  string(member: string, rules: StringRules = {}): string | undefined {
    const value = this.present(member, rules.required);
    if (value === undefined) return undefined;
    if (typeof value !== 'string') return this.fail(member, value, 'Member must be of type string');
    return this.checkString(member, value, rules) ? value : undefined;
  }

  private checkString(member: string, value: string, rules: StringRules): boolean {
    const before = this.problems.length;
    if (rules.minLength !== undefined && value.length < rules.minLength) {
      this.fail(member, value, `Member must have length greater than or equal to ${rules.minLength}`);
    }
    if (rules.maxLength !== undefined && value.length > rules.maxLength) {
      this.fail(member, value, `Member must have length less than or equal to ${rules.maxLength}`);
    }
    if (rules.pattern !== undefined && !wholeStringPattern(rules.pattern).test(value)) {
      this.fail(member, value, `Member must satisfy regular expression pattern: ${rules.pattern}`);
    }
    return this.problems.length === before;
  }

  integer(member: string, rules: IntegerRules = {}): number | undefined {
    const value = this.present(member, rules.required);
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
      return this.fail(member, value, 'Member must be of type integer');
    }
    const before = this.problems.length;
    if (rules.min !== undefined && value < rules.min) {
      this.fail(member, value, `Member must have value greater than or equal to ${rules.min}`);
    }
    if (rules.max !== undefined && value > rules.max) {
      this.fail(member, value, `Member must have value less than or equal to ${rules.max}`);
    }
    return this.problems.length === before ? value : undefined;
  }

  boolean(member: string, rules: { required?: boolean } = {}): boolean | undefined {
    const value = this.present(member, rules.required);
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') return this.fail(member, value, 'Member must be of type boolean');
    return value;
  }

  enumValue<T extends string>(
    member: string,
    allowed: readonly T[],
    rules: { required?: boolean } = {},
  ): T | undefined {
    const value = this.present(member, rules.required);
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      return this.fail(member, value, `Member must satisfy enum value set: [${allowed.join(', ')}]`);
    }
    return value as T;
  }

  stringMap(member: string, rules: StringMapRules = {}): Record<string, string> | undefined {
    const value = this.present(member, rules.required);
    if (value === undefined) return undefined;
    if (!isJsonObject(value)) return this.fail(member, value, 'Member must be a map of strings');
    const before = this.problems.length;
    const entries: [string, string][] = [];
    for (const [key, entryValue] of Object.entries(value)) {
      if (rules.keyMinLength !== undefined && key.length < rules.keyMinLength) {
        this.fail(member, key, `Map keys must have length greater than or equal to ${rules.keyMinLength}`);
      }
      if (rules.keyMaxLength !== undefined && key.length > rules.keyMaxLength) {
        this.fail(member, key, `Map keys must have length less than or equal to ${rules.keyMaxLength}`);
      }
      if (typeof entryValue !== 'string') {
        this.fail(member, entryValue, `Map value for key '${key}' must be of type string`);
        continue;
      }
      if (rules.valueMaxLength !== undefined && entryValue.length > rules.valueMaxLength) {
        this.fail(
          member,
          entryValue,
          `Map values must have length less than or equal to ${rules.valueMaxLength}`,
        );
      }
      entries.push([key, entryValue]);
    }
    // fromEntries defines own properties, so a key like "__proto__" stays an ordinary key.
    return this.problems.length === before ? Object.fromEntries(entries) : undefined;
  }

  /** A nested structure: returns a validator for its members that reports into the same list. */
  structure(member: string, rules: { required?: boolean } = {}): RequestValidator | undefined {
    const value = this.present(member, rules.required);
    if (value === undefined) return undefined;
    if (!isJsonObject(value)) return this.fail(member, value, 'Member must be a structure');
    return new RequestValidator(value, `${this.pathOf(member)}.`, this.problems);
  }

  /** A list of structures: one validator per element, paths like 'tags.1.member.key'. */
  structureList(member: string, rules: ListRules = {}): RequestValidator[] | undefined {
    const value = this.present(member, rules.required);
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) return this.fail(member, value, 'Member must be a list');
    if (rules.maxItems !== undefined && value.length > rules.maxItems) {
      return this.fail(
        member,
        `${value.length} items`,
        `Member must have length less than or equal to ${rules.maxItems}`,
      );
    }
    const elements: RequestValidator[] = [];
    value.forEach((element: unknown, index) => {
      const elementPath = `${this.pathOf(member)}.${index + 1}.member`;
      if (!isJsonObject(element)) {
        this.problems.push(
          `Value ${quote(element)} at '${elementPath}' failed to satisfy constraint: Member must be a structure`,
        );
        return;
      }
      elements.push(new RequestValidator(element, `${elementPath}.`, this.problems));
    });
    return elements;
  }

  /** The member as sent, for structures that are stored verbatim after their members were checked. */
  rawValue(member: string): unknown {
    return this.input[member];
  }

  /** Records a rule that spans members (e.g. "one of A or B is required"). */
  addProblem(member: string, value: unknown, constraint: string): void {
    this.fail(member, value, constraint);
  }

  get isValid(): boolean {
    return this.problems.length === 0;
  }

  throwIfInvalid(): void {
    const count = this.problems.length;
    if (count === 0) return;
    const heading = count === 1 ? '1 validation error detected: ' : `${count} validation errors detected: `;
    throw invalidRequest(heading + this.problems.join('; '));
  }
}

