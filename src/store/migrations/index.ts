// The store's migrations, oldest first.
import { StoreSchema1764150000000 } from './1764150000000-store-schema.js';
import { StoreCoveringIndexes1764160000000 } from './1764160000000-covering-indexes.js';
import { DropTokenSystemIndex1764170000000 } from './1764170000000-drop-token-system-index.js';
import { ReindexInstantsRelationship1764180000000 } from './1764180000000-reindex-instants-relationship.js';
import { ReindexContainedReferences1764190000000 } from './1764190000000-reindex-contained-references.js';

export const storeMigrations = [
  StoreSchema1764150000000,
  StoreCoveringIndexes1764160000000,
  DropTokenSystemIndex1764170000000,
  ReindexInstantsRelationship1764180000000,
  ReindexContainedReferences1764190000000,
];
