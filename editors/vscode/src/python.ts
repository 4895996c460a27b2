// Which Python runs the server: the setting, else the Python extension's active interpreter, else python3.
import * as vscode from 'vscode';

interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string };
    resolveEnvironment(path: string): Promise<{ executable: { uri?: vscode.Uri } } | undefined>;
  };
}

export async function resolveInterpreter(configured: string[], resource?: vscode.Uri): Promise<string[]> {
  if (configured.length > 0 && configured[0].trim()) {
    return configured.map((part) => substituteVariables(part, resource));
  }
  const extension = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (extension) {
    try {
      const api = extension.isActive ? extension.exports : await extension.activate();
      const active = api.environments?.getActiveEnvironmentPath(resource);
      if (active) {
        const resolved = await api.environments?.resolveEnvironment(active.path);
        const executable = resolved?.executable.uri?.fsPath;
        if (executable) {
          return [executable];
        }
      }
    } catch (error) {
      // an unusable Python extension is not fatal: fall back to PATH
      console.warn('reviewls: Python extension did not give an interpreter', error);
    }
  }
  return ['python3'];
}

/** `${workspaceFolder}` and `${userHome}` in paths, as the Python tool extensions allow. */
function substituteVariables(value: string, resource?: vscode.Uri): string {
  const folder = (resource && vscode.workspace.getWorkspaceFolder(resource)) ?? vscode.workspace.workspaceFolders?.[0];
  return value
    .replace(/\$\{workspaceFolder\}/g, folder?.uri.fsPath ?? '')
    .replace(/\$\{userHome\}/g, process.env.HOME ?? process.env.USERPROFILE ?? '');
}
