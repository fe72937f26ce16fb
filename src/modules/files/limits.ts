import type { Config } from '../../config.js'
import type { FileKind } from './tables.js'

/** Upload size limits per kind, from config. */
export const uploadLimits = (config: Config): Record<FileKind, number> => ({
  image: config.FILE_MAX_IMAGE_BYTES,
  video: config.FILE_MAX_VIDEO_BYTES,
  audio: config.FILE_MAX_AUDIO_BYTES,
  document: config.FILE_MAX_DOCUMENT_BYTES,
})

/** The largest file any upload may carry (the multipart parser's own hard limit). */
export const largestUpload = (config: Config): number => Math.max(...Object.values(uploadLimits(config)))
