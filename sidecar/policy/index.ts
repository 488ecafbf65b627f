export { ACTION_LEVELS, CHECKS, decide, FRESH_RIGHTS_MS, type RightsLevel, ROLE_GRANTS } from './decide.ts';
