import { expect, test } from './support/fixtures'
import { ModelsPage } from './pages/models-page'

const REPO = 'inferadmin-sim/tiny-chat'

interface Job {
  id: string
  state: string
  target: string
}

test.describe('Models', () => {
  test('search the Hub, pull with progress visible, the model appears with its size; delete it', async ({ app, rest }) => {
    const hub = process.env.HF_ENDPOINT
    if (!hub) throw new Error('global setup did not start the Hub stand-in')
    // slow the big shard down so the download is visibly in progress
    const fault = await fetch(`${hub}/__admin/faults`, {
      method: 'POST',
      body: JSON.stringify({ kind: 'throttle', route: 'cdn', match: 'model-00002', bytesPerSec: 2 * 1024 * 1024 }),
    })
    expect(fault.ok).toBe(true)
    try {
      const models = new ModelsPage(app)
      await models.open()
      await expect(models.page.getByText('No models yet')).toBeVisible()

      await models.search('tiny')
      const row = models.result(REPO)
      await expect(row).toBeVisible()
      await expect(row).toContainText('1.8M') // parameters from the safetensors headers
      await expect(row).toContainText('7.0 MiB') // size of the default selection
      await expect(models.result('inferadmin-sim/tiny-gated')).toContainText('Gated')

      await models.select(REPO)
      // vLLM-like default selection: safetensors + configs + tokenizer, no *.bin / original/
      await expect(models.files.getByRole('checkbox', { name: 'model-00002-of-00002.safetensors' })).toBeChecked()
      await expect(models.files.getByRole('checkbox', { name: 'pytorch_model.bin' })).not.toBeChecked()
      await expect(models.files.getByRole('checkbox', { name: 'original/consolidated.00.pth' })).not.toBeChecked()
      await expect(models.dialog.getByTestId('pull-summary')).toContainText('7.0 MiB to download')
      await models.downloadButton.click()
      await expect(models.dialog).toBeHidden()

      // progress while it runs
      const download = models.download(REPO)
      await expect(download).toBeVisible()
      await expect(download.getByRole('progressbar', { name: `Progress of ${REPO}` })).toBeVisible()
      await expect(download.getByTestId('download-stats')).toContainText(/of 7\.0 MiB/)
      await expect(download.getByRole('button', { name: 'Pause' })).toBeVisible()

      // done: the model is listed with its size and revision; the download card goes
      const model = models.model(REPO)
      await expect(model).toBeVisible()
      await expect(model.getByTestId('model-size')).toHaveText('7.0 MiB')
      await expect(model).toContainText('main ·')
      await expect(download).toBeHidden()
      await expect(models.page.getByRole('region', { name: /^Storage / })).toContainText('1 model')

      // the Dashboard counts it and lists the finished download under Recent activity
      await app.goTo('Dashboard')
      const recent = app.page.getByRole('list', { name: 'Recent jobs' })
      const line = recent.getByRole('listitem').filter({ hasText: REPO }).first()
      await expect(line).toContainText('done')
      await expect(line.getByTestId('job-time')).toHaveText(/^finished (just now|\d+ min ago)$/)
      await models.open()

      // a stopped deployment names it (#14 point 3): the confirmation says which, and that it cannot start without it
      const user = await rest.post<{ definition: { id: string } }>('/deployments', {
        name: 'uses-it',
        model: { repo: REPO },
        image: 'vllm/vllm-openai:v0.21.0',
      })
      await models.page.reload()

      // delete it: the confirmation says what goes (its files, the size) and what stays
      await model.getByRole('button', { name: `Delete ${REPO}` }).click()
      const confirm = models.page.getByRole('dialog', { name: `Delete the model ${REPO}?` })
      await expect(confirm.getByRole('region', { name: 'Removed' })).toContainText('7.0 MiB on disk')
      await expect(confirm.getByRole('region', { name: 'Kept' })).toContainText(
        'The deployment “uses-it” that names it: it stays, but cannot start until it is pulled again',
      )
      await expect(confirm).toContainText('Deleting it breaks “uses-it” until you pull it again')
      await confirm.getByRole('button', { name: 'Delete 7.0 MiB' }).click()
      await expect(confirm).toBeHidden()
      await expect(model).toBeHidden()
      await expect(models.page.getByText('No models yet')).toBeVisible()
      const local = await rest.get<unknown[]>('/models')
      expect(local).toEqual([])
      const jobs = await rest.get<Job[]>('/jobs')
      expect(jobs.find((j) => j.target === REPO && j.state === 'done')).toBeTruthy()
      // Gone before the next spec looks at a fresh install's pages (the delete is a job).
      await rest.delete(`/deployments/${user.definition.id}`)
      await expect.poll(async () => (await rest.get<{ definition: { id: string } }[]>('/deployments')).length, { timeout: 30_000 }).toBe(0)
    } finally {
      await fetch(`${hub}/__admin/faults`, { method: 'DELETE' })
    }
  })
})
