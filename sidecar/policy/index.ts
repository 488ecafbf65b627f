export {
  ACTION_LEVELS,
  CHECKS,
  decide,
  FRESH_RIGHTS_MS,
  ORG_ACTION_ROLES,
  type RightsLevel,
  ROLE_GRANTS,
} from './decide.ts';
