// DICOMweb retrieval (issue 5, "Retrieval"): ImagingStudy -> study UID + endpoint, QIDO-RS series search, series
// choice, WADO-RS streaming of instances; file:// folders through the same interface.
export { DicomwebClient, checkUid, seriesFromJson, type DicomwebClientOptions } from './client.js';
export { DicomwebError, safeUrl, type DicomwebErrorKind } from './errors.js';
export {
  openGet,
  getJson,
  withRetries,
  backoffDelay,
  retryAfterMs,
  splitCredentials,
  type HttpOptions,
  type PacsAuth,
  type OpenResponse,
} from './http.js';
export {
  MultipartParser,
  readMultipart,
  parseContentType,
  boundaryOf,
  type MultipartPart,
  type MultipartLimits,
} from './multipart.js';
export { locateStudy, studyUidOf, type EndpointResolver, type StudyLocation } from './study-ref.js';
export { openStudy, openStudyAt, type RetrieveOptions, type StudyRetrieval } from './retrieve.js';
