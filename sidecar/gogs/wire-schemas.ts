/**
 * zod schemas for the Gogs API v1 replies the client reads. Tolerant on purpose: unknown keys are dropped,
 * and text fields that older servers (or hand-made replies) leave out read as ''. What the sidecar cannot do
 * without (ids, names, URLs, booleans) stays required, so a reply that lacks it is reported, not guessed.
 */
import { z } from 'zod';
import type {
  GogsBranch,
  GogsCollaborator,
  GogsComment,
  GogsCommit,
  GogsHook,
  GogsOrg,
  GogsPayloadCommit,
  GogsRepo,
  GogsTeam,
  GogsToken,
  GogsUser,
} from '../core/index.ts';
import { isCommitSha } from '../core/index.ts';

const optionalText = z.string().default('');

/** 2017-era users carry `login` and `username`; some recorded replies only one of them. */
export const userSchema: z.ZodType<GogsUser> = z
  .object({
    id: z.number().int(),
    username: z.string().optional(),
    login: z.string().optional(),
    full_name: optionalText,
    email: optionalText,
    avatar_url: optionalText,
  })
  .refine((user) => user.username !== undefined || user.login !== undefined, {
    message: 'a user needs a username or a login',
  })
  .transform((user) => {
    const username = user.username ?? user.login ?? '';
    return {
      id: user.id,
      username,
      login: user.login ?? username,
      full_name: user.full_name,
      email: user.email,
      avatar_url: user.avatar_url,
    };
  });

const permissionsSchema = z.object({ admin: z.boolean(), push: z.boolean(), pull: z.boolean() });

export const repoSchema: z.ZodType<GogsRepo> = z.object({
  id: z.number().int(),
  owner: userSchema,
  name: z.string(),
  full_name: z.string(),
  description: optionalText,
  private: z.boolean(),
  fork: z.boolean(),
  html_url: z.string(),
  ssh_url: z.string(),
  clone_url: z.string(),
  default_branch: z.string(),
  permissions: permissionsSchema.optional(),
});

export const hookSchema: z.ZodType<GogsHook> = z.object({
  id: z.number().int(),
  type: z.string(),
  config: z.object({ url: z.string(), content_type: z.string() }),
  events: z.array(z.string()),
  active: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
});

const payloadUserSchema = z.object({ name: z.string(), email: z.string(), username: optionalText });

export const payloadCommitSchema: z.ZodType<GogsPayloadCommit> = z.object({
  id: z.string(),
  message: z.string(),
  url: z.string(),
  author: payloadUserSchema,
  committer: payloadUserSchema,
  timestamp: z.string(),
});

export const branchSchema: z.ZodType<GogsBranch> = z.object({
  name: z.string(),
  commit: payloadCommitSchema,
});

const commitUserSchema = z.object({ name: z.string(), email: z.string(), date: z.string() });

export const commitSchema: z.ZodType<GogsCommit> = z.object({
  sha: z.string(),
  html_url: optionalText,
  commit: z.object({ message: z.string(), author: commitUserSchema, committer: commitUserSchema }),
  author: userSchema.nullable(),
  committer: userSchema.nullable(),
  parents: z.array(z.object({ sha: z.string() })),
});

export const orgSchema: z.ZodType<GogsOrg> = z.object({
  id: z.number().int(),
  username: z.string(),
  full_name: optionalText,
  avatar_url: optionalText,
  description: optionalText,
  website: optionalText,
  location: optionalText,
});

export const teamSchema: z.ZodType<GogsTeam> = z.object({
  id: z.number().int(),
  name: z.string(),
  description: optionalText,
  permission: z.enum(['read', 'write', 'admin', 'owner']),
});

export const collaboratorSchema: z.ZodType<GogsCollaborator> = z
  .object({
    id: z.number().int(),
    username: z.string(),
    login: z.string().optional(),
    full_name: optionalText,
    email: optionalText,
    avatar_url: optionalText,
    permissions: permissionsSchema,
  })
  .transform((collaborator) => ({ ...collaborator, login: collaborator.login ?? collaborator.username }));

export const commentSchema: z.ZodType<GogsComment> = z.object({
  id: z.number().int(),
  html_url: optionalText,
  user: userSchema,
  body: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
});

/** `GET /users/search`: `{"ok": true, "data": [User…]}`. */
export const userSearchSchema = z.object({ data: z.array(userSchema) });

export const tokenSchema: z.ZodType<GogsToken> = z.object({ name: z.string(), sha1: z.string().min(1) });

/**
 * Gogs error bodies: `{"message": ...}` from handlers, or go-macaron/binding's array of
 * `{fieldNames?, classification, message}` for 400/415/422.
 */
export const errorBodySchema = z.union([
  z.object({ message: z.string() }),
  z.array(
    z.object({
      fieldNames: z.array(z.string()).optional(),
      classification: z.string().optional(),
      message: z.string(),
    }),
  ),
]);

/** A SHA as `/commits/<ref>` returns it in plain text. */
export const shaTextSchema = z
  .string()
  .refine(isCommitSha, 'expected a full commit SHA (40 or 64 lowercase hex characters)');
