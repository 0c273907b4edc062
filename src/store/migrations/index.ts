// The store's migrations, oldest first.
import { StoreSchema1764150000000 } from './1764150000000-store-schema.js';

export const storeMigrations = [StoreSchema1764150000000];
