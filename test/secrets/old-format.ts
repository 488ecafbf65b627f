import { createCipheriv } from 'node:crypto';

/**
 * The stored form of a secret before key ids and associated data (v1): `v1.<iv>.<tag>.<ciphertext>`,
 * base64url, AES-256-GCM with no associated data. Written here with the old algorithm, byte for byte.
 */
export function encryptAsV1(key: Buffer, iv: Buffer, plaintext: string): string {
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [
    'v1',
    iv.toString('base64url'),
    cipher.getAuthTag().toString('base64url'),
    ciphertext.toString('base64url'),
  ].join('.');
}

/** A value the code before v2 stored (its `encrypt`, run once with this key), with what it decrypts to. */
export const RECORDED_V1 = {
  key: Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex'),
  plaintext: '9f2c'.repeat(16),
  stored:
    'v1.tA0_d8gdKe9buqiF.0Zg53E_zM4wuETBtZawypw.aRYUorXl32UNj8Zf6k_5u8LHow5nEi6-rFJdQwEbbKAt60ieBad_cIzLFa75xoDJ2GuMfhsYoVJ-8UKRsEdaTw',
};
