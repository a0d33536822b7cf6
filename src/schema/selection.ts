// Which fields an operation selects on the object a field returns, so the root resolver can pick
// the cheapest upstream call that answers all of them.
import type { FieldNode, FragmentDefinitionNode, GraphQLResolveInfo, SelectionSetNode } from 'graphql';

export function selectedFieldNames(info: GraphQLResolveInfo): Set<string> {
  return new Set(selectedFields(info).map((field) => field.name.value));
}

/** The field nodes selected on the returned object, through fragments, aliases included. */
export function selectedFields(info: GraphQLResolveInfo): FieldNode[] {
  const fields: FieldNode[] = [];
  const visitedFragments = new Set<string>();
  const visit = (selectionSet: SelectionSetNode | undefined) => {
    for (const selection of selectionSet?.selections ?? []) {
      if (selection.kind === 'Field') {
        fields.push(selection);
      } else if (selection.kind === 'InlineFragment') {
        visit(selection.selectionSet);
      } else {
        const name = selection.name.value;
        if (visitedFragments.has(name)) continue;
        visitedFragments.add(name);
        const fragment: FragmentDefinitionNode | undefined = info.fragments[name];
        visit(fragment?.selectionSet);
      }
    }
  };
  for (const fieldNode of info.fieldNodes) visit(fieldNode.selectionSet);
  return fields;
}
