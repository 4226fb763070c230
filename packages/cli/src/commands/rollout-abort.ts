import { rolloutControl } from '../rollout-control.js';

export const rolloutAbort = rolloutControl({
  action: 'abort',
  summary: 'Abort a rollout (devices stay where they are)',
  description: [
    'Nothing more is sent: devices already updated keep the new release, the others keep theirs.',
    "To send every touched device back to its previous release, use 'edgefleet rollout rollback'",
    '(also after an abort).',
  ],
  done: 'aborted',
});
