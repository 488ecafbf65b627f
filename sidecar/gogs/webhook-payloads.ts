import { z } from 'zod';

/**
 * The Gogs webhook payloads, as far as the sidecar reads them. Tolerant on purpose: unknown keys pass, and
 * fields that older Gogs versions leave out (2017 payloads lack `parent`, `size`, commit file lists, a
 * branch `sha`) default to empty values.
 */
// `catch` rather than nullish().transform(): the same tolerance at about half the cost on 8 KB payloads.
const text = z.string().catch('');
const sha = z
  .string()
  .regex(/^([0-9a-f]{40}|[0-9a-f]{64})$/, 'expected a full commit SHA')
  .or(z.literal(''));

export const gogsUserSchema = z.object({
  id: z.number().int(),
  username: text,
  login: text,
  full_name: text,
  email: text,
  avatar_url: text,
});

export const gogsRepoSchema = z.object({
  id: z.number().int().positive(),
  owner: gogsUserSchema,
  name: z.string().min(1),
  full_name: z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'expected owner/name'),
  private: z.boolean(),
  fork: z.boolean().default(false),
  html_url: text,
  ssh_url: text,
  clone_url: text,
  default_branch: text,
});

const commitPersonSchema = z.object({ name: text, email: text, username: text });
const fileList = z
  .array(z.string())
  .nullish()
  .transform((value) => value ?? []);

export const payloadCommitSchema = z.object({
  id: sha.refine((value) => value !== '', 'expected a full commit SHA'),
  message: text,
  url: text,
  author: commitPersonSchema,
  committer: commitPersonSchema.optional(),
  added: fileList,
  removed: fileList,
  modified: fileList,
});

export const pushPayloadSchema = z.object({
  ref: z.string().min(1),
  before: sha,
  after: sha.refine((value) => value !== '', 'expected a full commit SHA'),
  compare_url: text,
  commits: z
    .array(payloadCommitSchema)
    .nullish()
    .transform((value) => value ?? []),
  repository: gogsRepoSchema,
  pusher: gogsUserSchema.nullish(),
  sender: gogsUserSchema,
});

export const createPayloadSchema = z.object({
  ref: z.string().min(1),
  ref_type: z.enum(['branch', 'tag']),
  sha: sha.optional().transform((value) => value ?? ''),
  default_branch: text,
  repository: gogsRepoSchema,
  sender: gogsUserSchema,
});

export const deletePayloadSchema = z.object({
  ref: z.string().min(1),
  ref_type: z.enum(['branch', 'tag']),
  repository: gogsRepoSchema,
  sender: gogsUserSchema,
});

const branchRepoSchema = z.object({
  full_name: text,
  clone_url: text,
});

export const pullRequestPayloadSchema = z.object({
  action: z.string().min(1),
  number: z.number().int().positive(),
  pull_request: z.object({
    number: z.number().int().positive(),
    title: text,
    body: text,
    html_url: text,
    state: z.enum(['open', 'closed']),
    merged: z.boolean().default(false),
    merge_commit_sha: text,
    head_branch: z.string().min(1),
    head_repo: branchRepoSchema.nullish(),
    base_branch: z.string().min(1),
    base_repo: branchRepoSchema.nullish(),
  }),
  repository: gogsRepoSchema,
  sender: gogsUserSchema,
});

export const issueCommentPayloadSchema = z.object({
  action: z.enum(['created', 'edited', 'deleted']),
  issue: z.object({
    number: z.number().int().positive(),
    pull_request: z.object({ merged: z.boolean() }).nullish(),
  }),
  comment: z.object({ id: z.number().int(), body: text }),
  repository: gogsRepoSchema,
  sender: gogsUserSchema,
});

export const releasePayloadSchema = z.object({
  action: z.string().min(1),
  release: z.object({
    id: z.number().int(),
    tag_name: z.string().min(1),
    target_commitish: text,
    name: text,
    draft: z.boolean().default(false),
    prerelease: z.boolean().default(false),
  }),
  repository: gogsRepoSchema,
  sender: gogsUserSchema,
});

/** Just enough to know which repository a payload is about, before its signature can be checked. */
export const repositoryLocatorSchema = z.object({
  repository: z.object({ id: z.number().int().positive(), full_name: z.string() }),
});
