// What the user configured under `reviewls.*`, and what of it the server sees.
import * as vscode from 'vscode';

export const SECTION = 'reviewls';

export type Notifications = 'off' | 'onError' | 'onWarning' | 'always';

export interface Settings {
  enable: boolean;
  run: 'onType' | 'onSave';
  severity: Record<string, string>;
  select: string[];
  ignore: string[];
  preview: boolean;
  args: string[];
  interpreter: string[];
  importStrategy: 'useBundled' | 'fromEnvironment';
  showNotifications: Notifications;
  trace: 'off' | 'messages' | 'verbose';
}

export function readSettings(scope?: vscode.ConfigurationScope): Settings {
  const config = vscode.workspace.getConfiguration(SECTION, scope);
  return {
    enable: config.get<boolean>('enable', true),
    run: config.get<'onType' | 'onSave'>('run', 'onType'),
    severity: config.get<Record<string, string>>('severity', {}),
    select: config.get<string[]>('select', []),
    ignore: config.get<string[]>('ignore', []),
    preview: config.get<boolean>('preview', false),
    args: config.get<string[]>('args', []),
    interpreter: config.get<string[]>('interpreter', []),
    importStrategy: config.get<'useBundled' | 'fromEnvironment'>('importStrategy', 'useBundled'),
    showNotifications: config.get<Notifications>('showNotifications', 'onError'),
    trace: config.get<'off' | 'messages' | 'verbose'>('trace.server', 'off'),
  };
}

/** The payload of initializationOptions and workspace/didChangeConfiguration (the server's schema). */
export function serverSettings(settings: Settings): Record<string, unknown> {
  return {
    reviewls: {
      enable: settings.enable,
      run: settings.run,
      severity: settings.severity,
      select: settings.select,
      ignore: settings.ignore,
      // only an explicit `true` is sent: unset must not hide `preview = true` in the project's file
      preview: settings.preview ? true : null,
      logLevel: settings.trace === 'verbose' ? 'debug' : 'warning',
    },
  };
}

/** Settings whose change needs a new server process rather than a configuration message. */
export const RESTART_KEYS = ['interpreter', 'importStrategy', 'args'].map((key) => `${SECTION}.${key}`);

export function shouldNotify(setting: Notifications, level: 'error' | 'warning' | 'info'): boolean {
  switch (setting) {
    case 'always':
      return true;
    case 'onWarning':
      return level !== 'info';
    case 'onError':
      return level === 'error';
    default:
      return false;
  }
}
