import { rolloutControl } from '../rollout-control.js';

export const rolloutResume = rolloutControl({
  action: 'resume',
  summary: 'Resume a paused rollout',
  description: [
    'After an operator pause the rollout goes on where it was. After a failed wave this is the',
    "operator's override: the next wave starts. A wave that ended below --min-success is judged",
    'again and pauses again unless late reports lifted it: abort or roll back instead.',
  ],
  done: 'resumed',
});
