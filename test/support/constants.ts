export const TEMPLATE_DB = 'luminous_template'
export const APP_PASSWORD = 'luminous-test-app'
