/**
 * Every custom search attribute the workflows set, read from their contracts, as the Temporal CLI's
 * `--search-attribute Name=Type` values. The test containers register these; test/unit/workflow-contracts
 * checks that scripts/stack.sh and docker-compose.yml register the same list.
 */
import { searchAttributes as reservation } from '../../workflows/booking/reservation-contract.js';
import { searchAttributes as cancellation } from '../../workflows/catalog/schedule-cancellation-contract.js';

const cliType: Record<string, string> = { KEYWORD: 'Keyword', INT: 'Int', TEXT: 'Text', BOOL: 'Bool', DATETIME: 'Datetime', DOUBLE: 'Double', KEYWORD_LIST: 'KeywordList' };
const asCli = (key: { name: string; type: string }) => `${key.name}=${cliType[key.type] ?? key.type}`;

export const searchAttributeFlags: string[] = [...new Set([...reservation, ...cancellation].map(asCli))];
