// The public surface of src/notifications: other capabilities and the composition roots import it through this file only (eslint.fences.js).
export * from './consumer.js';
export * from './email-sender.js';
export * from './mailer.js';
export * from './ports.js';
export * from './ticket-pdf.js';
export type { EmailTemplate, RenderedEmail } from './templates/template.js';
export { EMAIL_TEMPLATES } from './templates/registry.js';
