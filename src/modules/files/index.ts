// Files: uploads whose type is detected from their bytes, stored through the platform storage (local
// disk or S3) and handed out as short-lived signed URLs. Other modules store images (avatar, logo) and
// attachments through saveImage/saveUpload and reference the returned file id.
import type { Module } from '../index.js'
import { registerFileJobs } from './jobs.js'
import { fileRoutes } from './routes.js'

export { FILE_KINDS } from './kinds.js'
export { uploadLimits } from './limits.js'
export { filePart, multipartBody, multipartValidator, textField } from './multipart.js'
export { FileSchema, FileWithUrlSchema, toFile, type File, type FileWithUrl } from './schemas.js'
export { deleteFile, fileUrl, getFile, getFileRow, optionalFileUrl, withUrl } from './service.js'
export type { FileKind, FileRow } from './tables.js'
export { saveImage, saveUpload, type ImageOptions, type UploadOptions } from './upload.js'

export const filesModule: Module = {
  name: 'files',
  routes: fileRoutes,
  jobs: registerFileJobs,
}
