import { rolloutControl } from '../rollout-control.js';

export const rolloutPause = rolloutControl({
  action: 'pause',
  summary: 'Pause a running rollout (no more devices are notified)',
  description: [
    'No device is notified until the rollout resumes; statuses of devices already notified are',
    'still followed, so the status stays current. Resume it, abort it or roll it back.',
  ],
  done: 'paused',
});
