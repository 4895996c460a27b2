// The reviewls VS Code extension: starts the reviewls language server over stdio and wires
// its diagnostics, code actions, settings, commands and status into VS Code.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFile } from 'node:child_process';
import * as vscode from 'vscode';
import {
  LanguageClient,
  LanguageClientOptions,
  MessageType,
  RevealOutputChannelOn,
  ServerOptions,
  ShowMessageNotification,
  State,
  TransportKind,
} from 'vscode-languageclient/node';
import { resolveInterpreter } from './python';
import { RESTART_KEYS, SECTION, Settings, readSettings, serverSettings, shouldNotify } from './settings';

/** Files the server reviews: Python, and the config files it understands (see server/configfiles.py). */
export const DOCUMENT_SELECTOR = [
  { scheme: 'file', language: 'python' },
  { scheme: 'untitled', language: 'python' },
  { scheme: 'file', pattern: '**/{docker-compose*,compose,compose.*}.{yml,yaml}' },
  { scheme: 'file', pattern: '**/{requirements*,constraints*,*-requirements,requirements/*}.txt' },
  { scheme: 'file', pattern: '**/{.env.example,.env.sample,.env.template,.env.dist,*.env.example}' },
  { scheme: 'file', pattern: '**/{nginx*.conf,nginx/**/*.conf,conf.d/*.conf,sites-available/*.conf,sites-enabled/*.conf}' },
  { scheme: 'file', pattern: '**/pyproject.toml' },
];
const SOURCE = 'reviewls';

let client: LanguageClient | undefined;
let output: vscode.LogOutputChannel;
let status: vscode.StatusBarItem;
let starting: Promise<void> | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel('reviewls', { log: true });
  status = vscode.window.createStatusBarItem('reviewls.status', vscode.StatusBarAlignment.Left, 0);
  status.name = 'reviewls';
  status.command = 'reviewls.showOutput';
  context.subscriptions.push(output, status);

  context.subscriptions.push(
    vscode.commands.registerCommand('reviewls.restart', () => restart(context)),
    vscode.commands.registerCommand('reviewls.showOutput', () => output.show()),
    vscode.commands.registerCommand('reviewls.fixAll', () => fixAll()),
    vscode.commands.registerCommand('reviewls.showReport', () => showReport(context)),
    vscode.languages.onDidChangeDiagnostics(() => updateStatus()),
    vscode.workspace.onDidChangeConfiguration((event) => onConfigurationChanged(context, event)),
    { dispose: () => void client?.stop() },
  );
  await restart(context);
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}

function workspaceRoot(): vscode.Uri | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri;
}

/** How to start the server: the interpreter, our launcher, the import strategy. */
async function serverCommand(context: vscode.ExtensionContext, settings: Settings): Promise<{ command: string; args: string[]; env: NodeJS.ProcessEnv }> {
  const interpreter = await resolveInterpreter(settings.interpreter, workspaceRoot());
  const launcher = context.asAbsolutePath(path.join('bundled', 'tool', 'launch.py'));
  const env = { ...process.env, REVIEWLS_IMPORT_STRATEGY: settings.importStrategy, PYTHONUTF8: '1' };
  return { command: interpreter[0], args: [...interpreter.slice(1), launcher, ...settings.args], env };
}

async function restart(context: vscode.ExtensionContext): Promise<void> {
  if (starting) {
    await starting.catch(() => undefined);
  }
  starting = startClient(context);
  try {
    await starting;
  } finally {
    starting = undefined;
  }
}

async function startClient(context: vscode.ExtensionContext): Promise<void> {
  if (client) {
    const old = client;
    client = undefined;
    await old.stop().catch((error) => output.warn(`stopping the old server: ${error}`));
  }
  const settings = readSettings(workspaceRoot());
  const { command, args, env } = await serverCommand(context, settings);
  output.info(`starting: ${command} ${args.join(' ')} (importStrategy: ${settings.importStrategy})`);
  const serverOptions: ServerOptions = {
    command,
    args,
    transport: TransportKind.stdio,
    options: { cwd: workspaceRoot()?.fsPath, env },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: DOCUMENT_SELECTOR,
    outputChannel: output,
    traceOutputChannel: output,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    initializationOptions: serverSettings(settings),
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher('**/{pyproject.toml,reviewls.toml,.env.example,.env.sample,.env.template}'),
    },
  };
  const created = new LanguageClient('reviewls', 'reviewls', serverOptions, clientOptions);
  client = created;
  created.onDidChangeState((event) => {
    if (event.newState === State.Stopped && client === created) {
      setStatus('stopped');
    }
  });
  setStatus('starting');
  try {
    await created.start();
  } catch (error) {
    setStatus('stopped');
    const message = `reviewls could not start with ${command}: ${error}. See the output for details; set reviewls.interpreter or reviewls.importStrategy.`;
    output.error(message);
    if (shouldNotify(settings.showNotifications, 'error')) {
      void vscode.window.showErrorMessage(message, 'Show output').then((pick) => pick && output.show());
    }
    return;
  }
  created.onNotification(ShowMessageNotification.type, (params) => {
    const level = params.type === MessageType.Error ? 'error' : params.type === MessageType.Warning ? 'warning' : 'info';
    output[level === 'info' ? 'info' : level === 'warning' ? 'warn' : 'error'](params.message);
    if (!shouldNotify(readSettings(workspaceRoot()).showNotifications, level)) {
      return;
    }
    const show = level === 'error' ? vscode.window.showErrorMessage : level === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    void show(params.message);
  });
  await created.setTrace(settings.trace === 'verbose' ? 2 : settings.trace === 'messages' ? 1 : 0);
  setStatus('running');
}

async function onConfigurationChanged(context: vscode.ExtensionContext, event: vscode.ConfigurationChangeEvent): Promise<void> {
  if (!event.affectsConfiguration(SECTION)) {
    return;
  }
  if (RESTART_KEYS.some((key) => event.affectsConfiguration(key)) || !client) {
    output.info('interpreter settings changed: restarting the server');
    await restart(context);
    return;
  }
  const settings = readSettings(workspaceRoot());
  output.info(`settings changed: ${JSON.stringify(serverSettings(settings))}`);
  await client.sendNotification('workspace/didChangeConfiguration', { settings: serverSettings(settings) });
  await client.setTrace(settings.trace === 'verbose' ? 2 : settings.trace === 'messages' ? 1 : 0);
}

function findingCount(): number {
  let count = 0;
  for (const [, diagnostics] of vscode.languages.getDiagnostics()) {
    count += diagnostics.filter((d) => d.source === SOURCE).length;
  }
  return count;
}

let state: 'starting' | 'running' | 'stopped' = 'starting';

function setStatus(next: typeof state): void {
  state = next;
  updateStatus();
  status.show();
}

function updateStatus(): void {
  if (!status) {
    return;
  }
  if (state === 'starting') {
    status.text = '$(sync~spin) reviewls';
    status.tooltip = 'reviewls: starting the server';
    status.backgroundColor = undefined;
  } else if (state === 'stopped') {
    status.text = '$(error) reviewls';
    status.tooltip = 'reviewls: the server is not running. Click for the output; run "reviewls: Restart server" to retry.';
    status.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
  } else {
    const count = findingCount();
    status.text = `$(checklist) reviewls: ${count}`;
    status.tooltip = `reviewls: ${count} finding${count === 1 ? '' : 's'} in open files`;
    status.backgroundColor = undefined;
  }
}

/** Apply the server's source.fixAll.reviewls action to the active document. */
async function fixAll(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showInformationMessage('reviewls: open a file to fix.');
    return;
  }
  const document = editor.document;
  const whole = new vscode.Range(0, 0, document.lineCount, 0);
  const actions =
    (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', document.uri, whole, 'source.fixAll.reviewls', 1)) ?? [];
  const action = actions.find((a) => a.kind?.value === 'source.fixAll.reviewls' && a.edit);
  if (!action?.edit) {
    void vscode.window.showInformationMessage('reviewls: nothing to fix safely in this file.');
    return;
  }
  await vscode.workspace.applyEdit(action.edit);
}

/** Run `reviewls --check --format markdown` over the workspace and open the report. */
async function showReport(context: vscode.ExtensionContext): Promise<void> {
  const root = workspaceRoot();
  if (!root) {
    void vscode.window.showInformationMessage('reviewls: open a folder to review.');
    return;
  }
  const settings = readSettings(root);
  const { command, args, env } = await serverCommand(context, settings);
  const storage = context.storageUri ?? context.globalStorageUri;
  await fs.promises.mkdir(storage.fsPath, { recursive: true });
  const report = path.join(storage.fsPath, 'review-report.md');
  const checkArgs = [...args, '--check', '--format', 'markdown', '--output', report, '.'];
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'reviewls: reviewing the workspace' }, () =>
    new Promise<void>((resolve) => {
      execFile(command, checkArgs, { cwd: root.fsPath, env, maxBuffer: 64 * 1024 * 1024 }, (error, _stdout, stderr) => {
        // exit code 1 means "findings": the report is still written
        if (error && typeof error.code === 'number' && error.code > 1) {
          output.error(`review failed (${error.code}): ${stderr}`);
        }
        resolve();
      });
    }),
  );
  if (!fs.existsSync(report)) {
    void vscode.window.showErrorMessage('reviewls: the review did not produce a report. See the output.', 'Show output').then((pick) => pick && output.show());
    return;
  }
  await vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.file(report));
}
