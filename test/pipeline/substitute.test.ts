// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are .drone.yml text, where ${...} is Drone's substitution syntax.
/**
 * `${...}` substitution (drone/envsubst v1.0.3, spec §6): every operator the spec lists, the escapes, the
 * unsupported forms, and how a whole .drone.yml is rewritten before parsing.
 */
import { describe, expect, it } from 'vitest';
import { substitute } from '../../sidecar/pipeline/index.ts';

const variables = {
  var01: 'abcdEFGH28ij',
  upper: 'ABCDEFGH28IJ',
  path_name: '/home/bozo/ideas/thoughts.for.today',
  stringZ: 'abcABC123ABCabc',
  filename: 'bash.string.txt',
  default_var: 'foo',
  DRONE_TAG: 'v1.2.3',
  DRONE_COMMIT: '0123456789abcdef',
  DRONE_BRANCH: 'feature/login',
  multiline: 'line one\nline "two"',
  empty: '',
};

function expand(text: string): string {
  const result = substitute(text, variables);
  if (!result.ok) throw new Error(`substitution failed: ${result.error}`);
  return result.text;
}

describe('substitute: operators', () => {
  const cases: [string, string][] = [
    ['${var01}', 'abcdEFGH28ij'],
    ['${#var01}', '12'],
    ['${var01^}', 'AbcdEFGH28ij'],
    ['${var01^^}', 'ABCDEFGH28IJ'],
    ['${upper,}', 'aBCDEFGH28IJ'],
    ['${upper,,}', 'abcdefgh28ij'],
    ['${path_name:11}', 'ideas/thoughts.for.today'],
    ['${path_name:11:5}', 'ideas'],
    ['${path_name:-5}', '/home/bozo/ideas/thoughts.for.today'],
    ['${DRONE_COMMIT:0:7}', '0123456'],
    ['${DRONE_COMMIT:10:100}', 'abcdef'],
    ['${DRONE_COMMIT:100}', ''],
    ['${filename#*.}', 'string.txt'],
    ['${filename##*.}', 'txt'],
    ['${filename%.*}', 'bash.string'],
    ['${filename%%.*}', 'bash'],
    ['${DRONE_TAG##v}', '1.2.3'],
    ['${path_name##*/}', 'thoughts.for.today'],
    ['${unset=xyz}', 'xyz'],
    ['${var01=xyz}', 'abcdEFGH28ij'],
    ['${unset:=xyz}', 'xyz'],
    ['${empty:-fallback}', 'fallback'],
    ['${unset:---next-tag unreleased}', '--next-tag unreleased'],
    ['${stringZ/abc/xyz}', 'xyzABC123ABCabc'],
    ['${stringZ//abc/xyz}', 'xyzABC123ABCxyz'],
    ['${stringZ/#abc/XYZ}', 'XYZABC123ABCabc'],
    ['${stringZ/%abc/XYZ}', 'abcABC123ABCXYZ'],
    ['${stringZ/abc/}', 'ABC123ABCabc'],
    ['${DRONE_BRANCH/\\//-}', 'feature-login'],
    ['${unset=${default_var}-suffix}', 'foo-suffix'],
    ['${unset=${var01^^}}', 'ABCDEFGH28IJ'],
    ['${undefined}', ''],
  ];
  for (const [template, expected] of cases) {
    it(`${template} -> ${JSON.stringify(expected)}`, () => {
      expect(expand(template)).toBe(expected);
    });
  }
});

describe('substitute: escapes and text', () => {
  it('leaves bare $VAR and shell syntax to the shell', () => {
    expect(expand('echo $HOME $(pwd) `date`')).toBe('echo $HOME $(pwd) `date`');
  });

  it('turns $$ into $, so $${X} and $$X reach the container as ${X} and $X', () => {
    expect(expand('$${var01} $$var01 $$')).toBe('${var01} $var01 $');
    expect(expand('some text ${var01}$${var$${var01}$var01${var01}')).toBe(
      'some text abcdEFGH28ij${var${var01}$var01abcdEFGH28ij',
    );
  });

  it('treats \\\\ and \\/ as escapes outside ${...} too, as envsubst does (a sed in a plain scalar relies on it)', () => {
    expect(expand("sed -i 's/\\\\/api\\\\/v1//g' index.html")).toBe("sed -i 's/\\/api\\/v1//g' index.html");
    expect(expand('http://github.com')).toBe('http://github.com');
  });

  it('Go-quotes a value containing a newline so that it stays on its YAML line', () => {
    expect(expand('message: ${multiline}')).toBe('message: "line one\\nline \\"two\\""');
  });

  it('leaves text without $ or backslashes untouched', () => {
    const text = 'kind: pipeline\nsteps: []\n';
    expect(substitute(text, {})).toEqual({ ok: true, text });
  });
});

describe('substitute: failures and unsupported forms', () => {
  it('fails on an unclosed or empty expression, with the offset', () => {
    expect(substitute('image: ${TAG', variables)).toMatchObject({ ok: false, error: 'bad substitution' });
    expect(substitute('x ${}', variables)).toMatchObject({ ok: false });
    expect(substitute('${a+b}', variables)).toMatchObject({ ok: false });
  });

  it('reads ${v-d} as a variable named "v-d" (undefined, so empty)', () => {
    expect(expand('[${var01-default}]')).toBe('[]');
  });

  it('treats ${v:+d} and ${v:?d} as defaults', () => {
    expect(expand('${unset:+alt}|${var01:?alt}')).toBe('alt|abcdEFGH28ij');
  });

  it('refuses nesting deeper than 64 levels instead of overflowing the stack', () => {
    const deep = `${'${a:-'.repeat(200)}x${'}'.repeat(200)}`;
    expect(substitute(deep, {})).toMatchObject({ ok: false, error: 'substitution nested too deeply' });
  });

  it('handles a file with many expressions without recursion', () => {
    const text = '${var01} '.repeat(50_000);
    const result = substitute(text, variables);
    expect(result.ok && result.text.length).toBe('abcdEFGH28ij '.length * 50_000);
  });
});
