// The fixed list of system fonts the consented tier may report: common fonts of Windows, macOS,
// Linux and Android. The tracker probes these; the server stores no other name.
// -apple-system / San Francisco cannot be named in CSS, so it cannot be measured.
export const FONTS = [
  'Arial', 'Helvetica', 'Helvetica Neue', 'Times New Roman', 'Courier New', 'Verdana', 'Georgia',
  'Tahoma', 'Trebuchet MS', 'Comic Sans MS', 'Impact', 'Segoe UI', 'Calibri', 'Cambria',
  'Consolas', 'Lucida Grande', 'Menlo', 'Monaco', 'Roboto', 'Open Sans', 'Noto Sans', 'Ubuntu',
  'Cantarell', 'DejaVu Sans', 'Liberation Sans', 'PT Sans',
]
