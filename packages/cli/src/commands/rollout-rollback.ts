import { rolloutControl } from '../rollout-control.js';

export const rolloutRollback = rolloutControl({
  action: 'rollback',
  summary: 'Roll back every device the rollout touched to its previous release',
  description: [
    'Each device the rollout notified gets a newer signed desired state pointing at the release',
    'it ran before (allowDowngrade), or without the model when it had none. Works on a running,',
    "paused, completed or aborted rollout; follow it with 'edgefleet rollout status <id> --watch'.",
  ],
  done: 'rolling back',
});
