export { JOB_ERROR_CODES, JobError } from './job-errors.js';
export type { JobErrorCode } from './job-errors.js';
export { JobSpecSchema, parseJobSpecs } from './job-spec.js';
export type { JobSpec } from './job-spec.js';
export { startJobs } from './job-runner.js';
export type {
  JobPredict,
  JobPredictRequest,
  JobPredictResult,
  JobRunner,
  JobRunResult,
  JobStatus,
  StartJobsOptions,
} from './job-runner.js';
export type { JobLogger } from './job-source.js';
export { splitCsvLine, cellValue } from './csv-line.js';
