export { createSecretCipher, generateHookSecret, type SecretCipher } from './secret-cipher.ts';
