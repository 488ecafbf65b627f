/**
 * `commands:` into the script drone-runner-docker runs (spec §7.6): the POSIX script is piped to the image's
 * /bin/sh with `set -e` and an `echo + "<cmd>"` trace line per command (no `set -x`); Windows gets PowerShell.
 */
import { goQuote } from './go-quote.ts';

const POSIX_PREAMBLE = `
if [ ! -z "\${DRONE_NETRC_FILE}" ]; then
\techo $DRONE_NETRC_FILE > $HOME/.netrc
\tchmod 600 $HOME/.netrc
fi

unset DRONE_SCRIPT
unset DRONE_NETRC_MACHINE
unset DRONE_NETRC_USERNAME
unset DRONE_NETRC_PASSWORD
unset DRONE_NETRC_FILE

set -e
`;

const POSIX_DEBUG = `
remote_debug() {
\tif [ "$?" -ne "0" ]; then
\t\t/usr/drone/bin/tmate -F
\tfi
}

if [ "\${DRONE_BUILD_DEBUG}" = "true" ]; then
\tif [ ! -z "\${DRONE_TMATE_HOST}" ]; then
\t\techo "set -g tmate-server-host $DRONE_TMATE_HOST" >> $HOME/.tmate.conf
\t\techo "set -g tmate-server-port $DRONE_TMATE_PORT" >> $HOME/.tmate.conf
\t\techo "set -g tmate-server-rsa-fingerprint $DRONE_TMATE_FINGERPRINT_RSA" >> $HOME/.tmate.conf
\t\techo "set -g tmate-server-ed25519-fingerprint $DRONE_TMATE_FINGERPRINT_ED25519" >> $HOME/.tmate.conf

\t\tif [ ! -z "\${DRONE_TMATE_AUTHORIZED_KEYS}" ]; then
\t\t\techo "$DRONE_TMATE_AUTHORIZED_KEYS" > $HOME/.tmate.authorized_keys
\t\t\techo "set -g tmate-authorized-keys \\"$HOME/.tmate.authorized_keys\\"" >> $HOME/.tmate.conf
\t\tfi
\tfi
\ttrap remote_debug EXIT
fi
`;

const POWERSHELL_PREAMBLE = `
if ($Env:DRONE_NETRC_MACHINE) {
@"
machine $Env:DRONE_NETRC_MACHINE
login $Env:DRONE_NETRC_USERNAME
password $Env:DRONE_NETRC_PASSWORD
"@ > (Join-Path $Env:USERPROFILE '.netrc');
}
[Environment]::SetEnvironmentVariable("DRONE_NETRC_USERNAME", $null);
[Environment]::SetEnvironmentVariable("DRONE_NETRC_PASSWORD", $null);
[Environment]::SetEnvironmentVariable("DRONE_NETRC_USERNAME", $null);
[Environment]::SetEnvironmentVariable("DRONE_NETRC_PASSWORD", $null);
[Environment]::SetEnvironmentVariable("DRONE_SCRIPT", $null);

$erroractionpreference = "stop"
`;

/** The trace line's argument: Go-quoted, with `$` escaped so the shell prints it rather than expanding it. */
export function traceArgument(command: string): string {
  return goQuote(command).replaceAll('$', '\\$');
}

export function posixScript(commands: readonly string[]): string {
  let script = `\n${POSIX_PREAMBLE}${POSIX_DEBUG}\n`;
  for (const command of commands) script += `\necho + ${traceArgument(command)}\n${command}\n`;
  return script;
}

export function powershellScript(commands: readonly string[]): string {
  let script = `\n${POWERSHELL_PREAMBLE}\n`;
  for (const command of commands) {
    const trace = goQuote(`+ ${command}`).replaceAll('$', '`$');
    script += `\necho ${trace}\n${command}\nif ($LastExitCode -gt 0) { exit $LastExitCode }\n`;
  }
  return script;
}

export interface ScriptSetup {
  entrypoint: string[];
  command: string[];
  environment: Record<string, string>;
}

/** Entrypoint, command and variables of a step with `commands` on the given OS. */
export function scriptSetup(commands: readonly string[], os: string): ScriptSetup {
  if (os === 'windows') {
    return {
      entrypoint: ['powershell', '-noprofile', '-noninteractive', '-command'],
      command: ['echo $Env:DRONE_SCRIPT | iex'],
      environment: { DRONE_SCRIPT: powershellScript(commands), SHELL: 'powershell.exe' },
    };
  }
  return {
    entrypoint: ['/bin/sh', '-c'],
    command: ['echo "$DRONE_SCRIPT" | /bin/sh'],
    environment: { DRONE_SCRIPT: posixScript(commands) },
  };
}
