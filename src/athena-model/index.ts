/**
 * AWS's service model for Athena, as data: the shapes (with their constraints) and the
 * operations the project uses, and one way of checking values against them. Neutral ground:
 * it imports nothing from the gateway or the local service, and both read it, so that the
 * gateway refuses what AWS refuses and the local service refuses exactly that too.
 */

export type { MemberModel, OperationName, ShapeName, Violation } from './constraints.js';
export {
  codePointLength,
  describeShape,
  inputMembers,
  isOperationName,
  isShapeName,
  memberShape,
  membersOf,
  onlyModelled,
  outputMembers,
  patternRegExp,
  shapeOf,
  violation,
  violations,
} from './constraints.js';
export { JSON_VERSION, OPERATIONS, SHAPES, TARGET_PREFIX } from './model-data.js';
export type {
  ListShape,
  MapShape,
  MemberRef,
  NumberShape,
  OperationModel,
  PlainShape,
  Shape,
  StringShape,
  StructureShape,
} from './shape-types.js';
