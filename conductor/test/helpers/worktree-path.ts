// Tests name a task's worktree through conductor's own location function, so
// they follow wherever conductor keeps worktrees.
export { worktreePath, worktreesDir } from '../../src/git/worktree-location.js';
