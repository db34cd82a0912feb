/** Whether a process with this pid exists (a zombie counts until its parent reaps it). */
export function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
